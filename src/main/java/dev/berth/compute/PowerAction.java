package dev.berth.compute;

/** What a tenant may do to a machine: start, ACPI shutdown, reboot, force off. */
public enum PowerAction {
    START, SHUTDOWN, REBOOT, POWEROFF
}
