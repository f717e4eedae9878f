-- The ledger and the trail of every run. Created once; never rebuilt by the model runner.

create table if not exists audit.files (
    file_id bigint primary key,
    sha256 varchar not null unique,
    entity varchar not null,
    path varchar not null,
    file_name varchar not null,
    size_bytes bigint not null,
    mapping varchar,
    status varchar not null,
    rows_in_file bigint,
    rows_loaded bigint not null default 0,
    rows_rejected bigint not null default 0,
    reason varchar,
    loaded_at timestamptz not null,
    run_id bigint
);
alter table audit.files add column if not exists notes varchar;
alter table audit.files add column if not exists mtime_ns bigint;
alter table audit.files add column if not exists depends_on varchar;
alter table audit.files add column if not exists awaiting_reload varchar;
comment on table audit.files is 'The file ledger: one row per distinct file content (sha256) ever seen in the landing zone. status is loaded, validated or quarantined; notes say how a file was read when it needed help (another encoding, repaired line endings); a landing file with the path, size and mtime_ns of a ledger row is taken as that file without hashing it again. A file quarantined without being read (a link out of the landing zone, too large, not readable) has sha256 unread:<hash of path, state and problem>. depends_on holds, as JSON, a fingerprint of each setting and mapping the outcome depended on; awaiting_reload says which of them changed since (the next ingest reads the file again and replaces its rows).';

create table if not exists audit.rejects (
    file_id bigint not null,
    entity varchar not null,
    record bigint,
    line bigint,
    "column" varchar,
    reason varchar not null,
    raw_line varchar
);
comment on table audit.rejects is 'Rows that broke the export contract: file, data record or physical line, column and a reason a person can act on.';

create table if not exists audit.runs (
    run_id bigint not null,
    step varchar not null,
    started_at timestamptz not null,
    finished_at timestamptz,
    seconds double,
    status varchar not null,
    row_count bigint,
    message varchar
);
alter table audit.runs add column if not exists airflow_dag_id varchar;
alter table audit.runs add column if not exists airflow_run_id varchar;
comment on table audit.runs is 'One row per run (step = run) and one per step of it: ingest, validate, build, report and each SQL model (step = model:<schema>.<table>), with timings; a failed step has status failed and its message. A task Airflow failed outside a pipeline step has step airflow:<dag>.<task>. airflow_dag_id and airflow_run_id name the Airflow DAG run that asked for the run (empty for the CLI).';

create table if not exists audit.validation_results (
    run_id bigint,
    file_id bigint not null,
    entity varchar not null,
    expectation varchar not null,
    "column" varchar,
    severity varchar not null,
    success boolean not null,
    observed_value varchar,
    unexpected_count bigint,
    element_count bigint,
    unexpected_examples varchar,
    description varchar,
    checked_at timestamptz not null
);
comment on table audit.validation_results is 'One row per expectation and validated file: severity (critical blocks the batch, warning is reported), success, observed value, unexpected count and a few examples.';

create table if not exists audit.schema_drift (
    file_id bigint not null,
    entity varchar not null,
    "column" varchar not null,
    change varchar not null,
    action varchar not null,
    detail varchar,
    detected_at timestamptz not null
);
comment on table audit.schema_drift is 'Columns a file added (kept in raw._extra), lacked (required: quarantined) or delivered in another type, and what the schema_drift policy of sources/sources.yaml did.';

create table if not exists audit.build_state (
    as_of timestamptz not null,
    explicit_as_of boolean not null,
    fingerprint varchar not null,
    files bigint[] not null,
    built_at timestamptz not null
);
comment on table audit.build_state is 'What the last complete build was made from: as_of, whether it was set explicitly, a fingerprint of the models and parameters, and the validated files it read. The next build updates only what new files touch when nothing else changed; it is empty while a build runs or after one failed, so the next build is a full one.';

create table if not exists audit.releases (
    file_id bigint not null,
    entity varchar not null,
    file_name varchar not null,
    decision varchar not null,
    reason varchar not null,
    released_by varchar not null,
    released_at timestamptz not null,
    quarantine_reason varchar
);
comment on table audit.releases is 'Files a person released from a validation quarantine (loyalty release): decision accepted (the rows reach the marts) or excluded (the rows stay out, the build goes on without them), with who, when, why and the quarantine reason.';

create table if not exists audit.alert_deliveries (
    alert_id varchar not null,
    destination varchar not null,
    month date not null,
    rule varchar not null,
    severity varchar not null,
    delivered_at timestamptz not null,
    primary key (alert_id, destination)
);
comment on table audit.alert_deliveries is 'The delivery ledger of marts.alerts: one row per alert (alert_id) and destination (email:<recipients> or webhook:<host>#<hash of the URL>) it was sent to, written after the destination accepted it. `loyalty alerts --send` and the loyalty_alerts DAG send only alerts without a row here, so each alert reaches each destination once however often the pipeline runs.';
