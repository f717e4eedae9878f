-- DuckLake only: the last run and file id handed out. Every ledger write updates the file
-- row, so two writers committing files at once conflict and the loser retries (DuckLake
-- has no primary keys to keep file ids unique).
create table if not exists audit.id_claims (kind varchar not null, last_id bigint not null);
insert into audit.id_claims
select kind, 0 from (values ('run'), ('file')) as kinds (kind)
where kind not in (select kind from audit.id_claims);
comment on table audit.id_claims is 'DuckLake only: the last run id and file id handed out, so concurrent writers never share one.';
