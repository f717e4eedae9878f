-- The rows of one loaded customers file as the suite sees them.
select * exclude (_file_id, _record) from raw.customers where _file_id = $file_id
order by _record
