-- The rows of the given loaded files of one entity as its suite sees them, amounts as
-- doubles (filled in per entity by pipelines.registry_sql: table, and amounts, the
-- replace clause of its amount columns). An entity whose suite needs derived columns has
-- its own sql/validation/batch_<entity>.sql.
select * exclude (_file_id, _record, _extra) {amounts}
from raw.{table}
where list_contains($file_ids, _file_id)
order by _record
