-- The rows of the given loaded survey responses files as the suite sees them.
select * exclude (_file_id, _record, _extra) from raw.responses where list_contains($file_ids, _file_id)
order by _record
