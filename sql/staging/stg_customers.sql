/*
description: >
  CRM customer versions: one row per customer_id and updated_at. The same version
  delivered in several files is kept once (latest export wins); core.customers picks the
  latest version up to as_of, so a newer updated_at replaces an older one.
incremental: {scope: customers, key: customer_id}
*/
with

raw_rows as (
    select * from raw.customers where in_scope('customers', customer_id)
),

files as (
    -- Only validated files reach the warehouse's models: the validation gate decides.
    select file_id, file_name, sha256 from audit.files where status = 'validated'
),

ranked as (
    select
        raw_rows.* exclude (_file_id, _record, _extra),
        raw_rows._file_id as file_id,
        row_number() over (
            partition by raw_rows.customer_id, raw_rows.updated_at
            order by files.file_name desc, files.sha256 desc, raw_rows._record desc
        ) as export_rank
    from raw_rows
    inner join files on files.file_id = raw_rows._file_id
),

final as (
    select * exclude (export_rank) from ranked where export_rank = 1
)

-- Free text leaves raw cleaned: control characters removed, e-mails and phone numbers masked.
select * replace (clean_text(segment) as segment) from final
