package dev.berth.tenancy;

/** What pages and the API show of a tenant. */
public record TenantView(String slug, String name, boolean suspended) {
    static TenantView of(Tenant t) {
        return new TenantView(t.slug, t.name, t.suspended);
    }
}
