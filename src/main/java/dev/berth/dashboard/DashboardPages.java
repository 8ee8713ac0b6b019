package dev.berth.dashboard;

import dev.berth.tenancy.Meter;
import dev.berth.tenancy.TenantView;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import java.util.List;

/** Type-safe templates under {@code templates/dashboard/}. */
@CheckedTemplate(basePath = "dashboard")
final class DashboardPages {
    private DashboardPages() {
    }

    /** Every card is null for an administrator without a tenant. */
    static native TemplateInstance dashboard(TenantView tenant, MachinesCard machines, StorageCard storage, List<Meter> meters);
}
