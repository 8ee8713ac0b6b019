/** Registered KVM and Docker hosts, their probes and capacity. */
package dev.berth.hosts;
