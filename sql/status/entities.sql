-- Files and rows per entity, as `loyalty status` shows them. Files are counted by their
-- final status: validated (their rows reach the marts), pending (loaded, waiting for
-- validation) and quarantined (kept out, see the quarantined files).
select
    entity,
    count(*) filter (where status = 'validated') as files_validated,
    count(*) filter (where status = 'loaded') as files_pending,
    count(*) filter (where status = 'quarantined') as files_quarantined,
    coalesce(sum(rows_loaded), 0) as rows_loaded,
    coalesce(sum(rows_rejected), 0) as rows_rejected,
    max(loaded_at) as last_loaded_at
from audit.files
group by entity
order by entity
