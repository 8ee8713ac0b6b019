package dev.berth.tenancy;

/** What pages and the API show of a tenant. */
public record TenantView(String slug, String name, boolean suspended, boolean keepDataAccess) {
    static TenantView of(Tenant t) {
        return new TenantView(t.slug, t.name, t.suspended, t.keepDataAccess);
    }

    /** Suspended without data access: its keys are disabled on its instance until it is resumed. */
    public boolean dataCutOff() {
        return suspended && !keepDataAccess;
    }
}
