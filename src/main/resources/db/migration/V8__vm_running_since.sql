-- libvirt reports no uptime, so Berth keeps when it saw (or made) a machine start running.
-- running_since_exact: true when Berth started the machine itself; false when it first found it running
-- (the machine may have been up longer).
alter table vm_assignment add column running_since timestamp with time zone;
alter table vm_assignment add column running_since_exact boolean default false not null;
