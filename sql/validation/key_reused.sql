-- Keys the contract calls unique: ids of the batch that an earlier file already
-- delivered with other values. The latest export wins in staging; this says it happened.
with

batch as (
    select {key} as key, hash(*columns(* exclude (_file_id, _record, _extra))) as content
    from raw.{table}
    where _file_id = $file_id
),

earlier as (
    select {key} as key, hash(*columns(* exclude (_file_id, _record, _extra))) as content
    from raw.{table}
    where _file_id in (
        select file_id from audit.files where status = 'validated' and file_id <> $file_id
    )
),

changed as (
    select distinct batch.key
    from batch
    inner join earlier on earlier.key = batch.key and earlier.content <> batch.content
)

select
    (select count(*) from changed) = 0 as success,
    null as observed_value,
    (select count(*) from changed) as unexpected_count,
    (select count(*) from batch) as element_count,
    (select list(key order by key) from (select key from changed order by 1 limit 5)) as examples
