-- What an incremental build touches: keys of the new files per entity, and kind 'customers'
-- for every customer whose rows may change. Keys are text: a month is compared as its ISO
-- date. A full build leaves it empty and sets full_build, which makes in_scope() true for
-- every row.
create or replace temp table build_scope (kind varchar not null, key varchar not null);
create or replace temp macro in_scope(scope_kind, value) as
    getvariable('full_build')
        or value::varchar in (select key from build_scope where kind = scope_kind);
