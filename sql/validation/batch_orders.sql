-- The rows of the given loaded orders files as the suite sees them: amounts as doubles, and the
-- derived column _net_difference = net - (gross - discount) where all three are given.
select
    * exclude (_file_id, _record, _extra, net_amount, gross_amount, discount_amount),
    net_amount::double as net_amount,
    gross_amount::double as gross_amount,
    discount_amount::double as discount_amount,
    (net_amount - (gross_amount - discount_amount))::double as _net_difference
from raw.orders
where list_contains($file_ids, _file_id)
order by _record
