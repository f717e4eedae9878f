-- The staging model of every entity of the registry (pipelines/ingest/entities.py) that
-- has no sql/staging/stg_<entity>.sql of its own, filled in by pipelines.registry_sql. The
-- placeholders in braces: table (the entity), key (its key), unique (what must be unique:
-- the key, and the version where the entity keeps versions), raw_unique (the same columns
-- of raw_rows), cleaned (the free-text columns, masked).
with

files as (
    -- Only validated files reach the warehouse's models: the validation gate decides.
    select file_id, file_name, sha256 from audit.files where status = 'validated'
),

raw_rows as (
    select * from raw.{table}
    where _file_id in (select file_id from files) and in_scope('{table}', {key})
),

-- Most keys arrive once; only the repeated ones need ranking, which keeps this cheap.
repeated_keys as (
    select {unique} from raw_rows group by {unique} having count(*) > 1
),

single_rows as (
    select raw_rows.* from raw_rows anti join repeated_keys using ({unique})
),

latest_of_repeated as (
    select raw_rows.*
    from raw_rows
    semi join repeated_keys using ({unique})
    inner join files on files.file_id = raw_rows._file_id
    qualify row_number() over (
        partition by {raw_unique}
        order by files.file_name desc, files.sha256 desc, raw_rows._record desc
    ) = 1
),

final as (
    select * exclude (_file_id, _record, _extra), _file_id as file_id from single_rows
    union all by name
    select * exclude (_file_id, _record, _extra), _file_id as file_id from latest_of_repeated
)

-- Free text leaves raw cleaned: control characters removed, e-mails and phone numbers masked.
select * {cleaned} from final
