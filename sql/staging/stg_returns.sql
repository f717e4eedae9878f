/*
description: >
  Every return of raw.returns once: where one return_id arrives in several files, the latest
  export wins (files ordered by name, which carries the export date, then content hash).
  Typed and renamed by the ingest; raw.returns keeps every delivered version.
*/
with

raw_rows as (
    select * from raw.returns
),

files as (
    -- Only validated files reach the warehouse's models: the validation gate decides.
    select file_id, file_name, sha256 from audit.files where status = 'validated'
),

ranked as (
    select
        raw_rows.* exclude (_file_id, _record),
        raw_rows._file_id as file_id,
        row_number() over (
            partition by raw_rows.return_id
            order by files.file_name desc, files.sha256 desc, raw_rows._record desc
        ) as export_rank
    from raw_rows
    inner join files on files.file_id = raw_rows._file_id
),

final as (
    select * exclude (export_rank) from ranked where export_rank = 1
)

select * from final
