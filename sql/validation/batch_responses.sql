-- The rows of one loaded survey responses file as the suite sees them.
select * exclude (_file_id, _record) from raw.responses where _file_id = $file_id
order by _record
