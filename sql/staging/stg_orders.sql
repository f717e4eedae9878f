/*
description: >
  Every order of raw.orders once: where one order_id arrives in several files, the latest
  export wins (files ordered by name, which carries the export date, then content hash).
  Typed and renamed by the ingest; raw.orders keeps every delivered version.
incremental: {scope: orders, key: order_id}
*/
with

files as (
    -- Only validated files reach the warehouse's models: the validation gate decides.
    select file_id, file_name, sha256 from audit.files where status = 'validated'
),

raw_rows as (
    select * from raw.orders
    where _file_id in (select file_id from files) and in_scope('orders', order_id)
),

-- Most keys arrive once; only the repeated ones need ranking, which keeps this cheap.
repeated_keys as (
    select order_id from raw_rows group by order_id having count(*) > 1
),

single_rows as (
    select * from raw_rows where order_id not in (select order_id from repeated_keys)
),

latest_of_repeated as (
    select raw_rows.*
    from raw_rows
    inner join files on files.file_id = raw_rows._file_id
    where raw_rows.order_id in (select order_id from repeated_keys)
    qualify row_number() over (
        partition by raw_rows.order_id
        order by files.file_name desc, files.sha256 desc, raw_rows._record desc
    ) = 1
),

final as (
    select * exclude (_file_id, _record, _extra), _file_id as file_id from single_rows
    union all by name
    select * exclude (_file_id, _record, _extra), _file_id as file_id from latest_of_repeated
)

select * from final
