package dev.berth.dashboard;

import dev.berth.common.ByteSize;
import dev.berth.storage.instance.StorageView;

/**
 * The dashboard's storage card: the instance's status and what was last measured of its buckets (from the database,
 * so the dashboard never waits for an instance).
 */
public record StorageCard(StorageView view, int buckets, long bytes) {
    public boolean activated() {
        return view.id() != null;
    }

    public String size() {
        return ByteSize.format(bytes);
    }
}
