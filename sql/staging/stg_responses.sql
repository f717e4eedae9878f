/*
description: >
  Every response of raw.responses once: where one response_id arrives in several files, the latest
  export wins (files ordered by name, which carries the export date, then content hash).
  Typed and renamed by the ingest; raw.responses keeps every delivered version.
incremental: {scope: responses, key: response_id}
*/
with

files as (
    -- Only validated files reach the warehouse's models: the validation gate decides.
    select file_id, file_name, sha256 from audit.files where status = 'validated'
),

raw_rows as (
    select * from raw.responses
    where _file_id in (select file_id from files) and in_scope('responses', response_id)
),

-- Most keys arrive once; only the repeated ones need ranking, which keeps this cheap.
repeated_keys as (
    select response_id from raw_rows group by response_id having count(*) > 1
),

single_rows as (
    select * from raw_rows where response_id not in (select response_id from repeated_keys)
),

latest_of_repeated as (
    select raw_rows.*
    from raw_rows
    inner join files on files.file_id = raw_rows._file_id
    where raw_rows.response_id in (select response_id from repeated_keys)
    qualify row_number() over (
        partition by raw_rows.response_id
        order by files.file_name desc, files.sha256 desc, raw_rows._record desc
    ) = 1
),

final as (
    select * exclude (_file_id, _record, _extra), _file_id as file_id from single_rows
    union all by name
    select * exclude (_file_id, _record, _extra), _file_id as file_id from latest_of_repeated
)

-- Free text leaves raw cleaned: control characters removed, e-mails and phone numbers masked.
select * replace (
    clean_text(comment) as comment,
    clean_text(channel) as channel,
    clean_text(language) as language
) from final
