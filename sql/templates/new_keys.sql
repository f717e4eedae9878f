-- One entity's keys in the new files of an incremental build, as scope kind $kind (filled in
-- per entity by pipelines.registry_sql: table and key).
insert into build_scope
select $kind, {key} from raw.{table} where list_contains($new_files, _file_id)
