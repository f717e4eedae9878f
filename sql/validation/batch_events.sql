-- The rows of one loaded events file, with _resolution_hours = resolved_at - occurred_at.
select
    * exclude (_file_id, _record),
    epoch(resolved_at - occurred_at) / 3600.0 as _resolution_hours
from raw.events
where _file_id = $file_id
order by _record
