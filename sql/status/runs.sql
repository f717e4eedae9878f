-- The last runs (one line per run, not per step).
select run_id, started_at, round(seconds, 1) as seconds, status, split_part(message, chr(10), 1) as message
from audit.runs
where step = 'run'
order by run_id desc
limit 5
