package dev.berth.tenancy;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "berth.tenancy")
public interface TenancyConfig {
    /** Group path prefix that makes an OIDC group a tenant: {@code /tenants/acme} is tenant {@code acme}. */
    @WithDefault("/tenants/")
    String groupPrefix();

    /** Cookie that remembers the tenant a user switched to on the pages. */
    @WithDefault("berth-tenant")
    String cookie();

    /** Header with which an API client picks one of its tenants. */
    @WithDefault("X-Berth-Tenant")
    String header();
}
