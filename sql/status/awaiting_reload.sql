-- Files read under settings or mappings that have changed since: the next ingest that finds
-- them reads them again (`loyalty reload FILE` does it at once).
select file_name, entity, status, awaiting_reload as reason
from audit.files
where awaiting_reload is not null
order by entity, file_name
limit 50
