-- The rows of one loaded returns file as the suite sees them.
select * exclude (_file_id, _record, amount), amount::double as amount
from raw.returns
where _file_id = $file_id
order by _record
