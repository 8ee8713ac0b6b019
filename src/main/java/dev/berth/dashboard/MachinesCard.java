package dev.berth.dashboard;

import dev.berth.compute.DomainState;
import dev.berth.compute.MachineView;
import java.util.List;

/**
 * The dashboard's machines card: the tenant's machines counted by state as their hosts report it now.
 *
 * @param unknown machines whose host did not answer, or that their host no longer has
 */
public record MachinesCard(int total, int running, int stopped, int unknown) {
    static MachinesCard of(List<MachineView> machines) {
        int running = 0;
        int unknown = 0;
        for (MachineView m : machines) {
            if (m.missing() || m.state() == DomainState.UNKNOWN) {
                unknown++;
            } else if (m.state().active()) {
                running++;
            }
        }
        return new MachinesCard(machines.size(), running, machines.size() - running - unknown, unknown);
    }
}
