package dev.berth.tenancy;

import java.util.ArrayList;
import java.util.List;

/** What a tenant's quota refuses right now, in words: one sentence per limit that is reached. */
public final class UsageRefusals {
    private UsageRefusals() {
    }

    public static List<String> of(List<Meter> meters) {
        var refusals = new ArrayList<String>();
        for (Meter m : meters) {
            if (m.level() != Meter.Level.FULL) {
                continue;
            }
            String at = " (" + m.used() + " of " + m.limit() + ")";
            refusals.add(switch (m.name()) {
                case "Machines" -> "No more machines can be assigned" + at + ".";
                case "vCPUs" -> "No machine that needs more vCPUs can be assigned" + at + ".";
                case "Memory" -> "No machine that needs more memory can be assigned" + at + ".";
                case "Buckets" -> "New buckets are refused" + at + ": delete one or ask an administrator for more.";
                case "Storage" -> "Writes are stopped at the hard limit" + at + ": every key can read and delete only, until data is deleted.";
                case "Access keys" -> "New access keys are refused" + at + ": revoke one or ask an administrator for more.";
                default -> m.name() + " is at its limit" + at + ".";
            });
        }
        return refusals;
    }
}
