-- Referential integrity: rows of the batch whose customer_id the CRM does not
-- know, with their share. Not checked while no CRM customers are loaded at all.
with

batch as (
    select customer_id from raw.{table}
    where _file_id = $file_id and customer_id is not null
),

crm as (
    select customers.customer_id
    from raw.customers as customers
    where customers._file_id in (
        select file_id from audit.files where status in ('loaded', 'validated')
    )
),

crm_loaded as (
    select exists (select 1 from crm) as loaded
),

unknown as (
    select batch.customer_id from batch
    anti join crm on crm.customer_id = batch.customer_id
)

select
    (select count(*) from unknown) = 0 or not (select loaded from crm_loaded) as success,
    case
        when not (select loaded from crm_loaded) then 'no CRM customers loaded: not checked'
        else format('{:.1f} % of rows', 100.0 * (select count(*) from unknown) / greatest((select count(*) from batch), 1))
    end as observed_value,
    (select count(*) from unknown) as unexpected_count,
    (select count(*) from batch) as element_count,
    (select list(customer_id order by customer_id) from (select distinct customer_id from unknown order by 1 limit 5)) as examples
