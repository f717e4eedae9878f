-- The rows of the given loaded returns files as the suite sees them.
select * exclude (_file_id, _record, _extra, amount), amount::double as amount
from raw.returns
where list_contains($file_ids, _file_id)
order by _record
