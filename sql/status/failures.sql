-- Failures of the last 7 days, newest first: every failed pipeline step, from the CLI or an
-- Airflow task, and every Airflow task that failed outside a step, with the Airflow DAG run.
-- A failed run's own row (step run) shows only when no step row of it says more; a failed
-- model shows through its build step. The message's first line says what failed; the
-- files, reasons and fix follow in audit.runs.message and in the task log.
select
    strftime(started_at, '%Y-%m-%d %H:%M:%S') as started_at,
    step,
    airflow_dag_id,
    airflow_run_id,
    split_part(message, chr(10), 1) as message
from audit.runs as failed
where status = 'failed'
    and started_at >= now() - interval 7 days
    and step not like 'model:%'
    and (
        step <> 'run'
        or not exists (
            select 1 from audit.runs as steps
            where steps.run_id = failed.run_id and steps.status = 'failed' and steps.step <> 'run'
        )
    )
order by failed.started_at desc, run_id desc
limit 50
