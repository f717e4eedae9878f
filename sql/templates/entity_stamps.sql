-- One entity's first and last timestamp in validated files, for sql/setup/default_as_of.sql
-- (filled in per entity by pipelines.registry_sql: table, and stamp, its timestamp column).
select min({stamp}) as first_at, max({stamp}) as last_at from raw.{table}
where _file_id in (select file_id from audit.files where status = 'validated')
