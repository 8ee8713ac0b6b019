-- Network bandwidth cap of a tenant's storage instance, bytes per second in each direction; 0 = unlimited (issue 17).
alter table quota add column network_rate bigint not null default 0;
-- Where Berth last made an instance's traffic-control rules on its host (null: none), so that a restarted Berth still
-- visits the host to take them away when the cap was removed meanwhile.
alter table storage_instance add column network_rules_port integer;
