-- Referential integrity (warning): rows of the batch whose customer_id the CRM does not
-- know, with their share. Not checked while no CRM customers are loaded at all.
with

batch as (
    select customer_id from raw.{table}
    where _file_id = $file_id and customer_id is not null
),

crm as (
    select distinct customers.customer_id
    from raw.customers as customers
    inner join audit.files as files on files.file_id = customers._file_id
    where files.status in ('loaded', 'validated')
),

unknown as (
    select customer_id from batch
    where customer_id not in (select customer_id from crm)
)

select
    'expect_customer_ids_known_to_crm' as expectation,
    'customer_id' as "column",
    'warning' as severity,
    (select count(*) from unknown) = 0 or (select count(*) from crm) = 0 as success,
    case
        when (select count(*) from crm) = 0 then 'no CRM customers loaded: not checked'
        else format('{:.1f} % of rows', 100.0 * (select count(*) from unknown) / greatest((select count(*) from batch), 1))
    end as observed_value,
    (select count(*) from unknown) as unexpected_count,
    (select count(*) from batch) as element_count,
    (select list(customer_id order by customer_id) from (select distinct customer_id from unknown order by 1 limit 5)) as examples,
    'Orders, events and responses belong to customers the CRM knows.' as description
