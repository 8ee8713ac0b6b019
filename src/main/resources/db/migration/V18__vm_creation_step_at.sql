-- When a Berth-made machine's creation last finished a step: a row still CREATING long after that was interrupted
-- (the portal stopped mid-way), and the recovery pass rolls it back.
alter table vm_assignment add column step_at timestamp with time zone;
update vm_assignment set step_at = assigned_at where status is not null;
