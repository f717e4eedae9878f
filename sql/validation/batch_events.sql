-- The rows of the given loaded events files, with _resolution_hours = resolved_at - occurred_at,
-- the time that passed (from epoch microseconds: subtracting the timestamps themselves would go
-- through calendar arithmetic in the session's time zone, ten times slower and a day counted
-- as 24 hours across a daylight-saving change).
select
    * exclude (_file_id, _record, _extra),
    (epoch_us(resolved_at) - epoch_us(occurred_at)) / 1000000.0 / 3600.0 as _resolution_hours
from raw.events
where list_contains($file_ids, _file_id)
order by _record
