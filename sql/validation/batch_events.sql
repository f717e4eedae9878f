-- The rows of the given loaded events files, with _resolution_hours = resolved_at - occurred_at.
select
    * exclude (_file_id, _record, _extra),
    epoch(resolved_at - occurred_at) / 3600.0 as _resolution_hours
from raw.events
where list_contains($file_ids, _file_id)
order by _record
