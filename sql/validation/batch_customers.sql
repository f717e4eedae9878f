-- The rows of the given loaded customers files as the suite sees them.
select * exclude (_file_id, _record, _extra) from raw.customers where list_contains($file_ids, _file_id)
order by _record
