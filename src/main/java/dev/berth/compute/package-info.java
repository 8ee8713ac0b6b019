/** Virtual machines on KVM hosts: the hypervisor port, its libvirt adapter, assignments, VM views and power actions. */
package dev.berth.compute;
