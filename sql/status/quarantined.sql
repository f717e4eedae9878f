-- Quarantined files with their reason, newest first.
select file_name, entity, reason, loaded_at
from audit.files
where status = 'quarantined'
order by loaded_at desc, file_name
limit 20
