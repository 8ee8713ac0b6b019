-- Suspension: whether the tenant's access keys keep working while it is suspended (the administrator's choice);
-- when not, Berth disables each key on the instance and records it here, so that resuming re-enables exactly those.
alter table tenant add column keep_data_access boolean not null default false;
alter table access_key add column suspended_at timestamp with time zone;

-- One row per tenant, locked (select … for update) by every change that a quota guards: counting and creating then
-- happen one at a time per tenant, across every replica. Nothing references this table, so the lock never blocks a
-- foreign-key check of the rows created under it.
create table tenant_lock (
    tenant_id bigint not null primary key
);
insert into tenant_lock (tenant_id) select id from tenant;
