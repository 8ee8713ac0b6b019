package dev.berth.storage.usage;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.io.Serializable;

/** One object version Berth knows of (V11): removal events carry no size, so the size is remembered here. */
@Entity
@Table(name = "stored_object")
public class StoredObject extends PanacheEntityBase {
    @Embeddable
    public record Id(@Column(name = "tenant_id") Long tenantId, @Column(name = "bucket") String bucket,
                     @Column(name = "object_key") String key, @Column(name = "version_id") String versionId) implements Serializable {
    }

    @EmbeddedId
    public Id id;
    @Column(nullable = false)
    public long size;
    @Column(name = "delete_marker", nullable = false)
    public boolean deleteMarker;
    @Column(nullable = false)
    public boolean latest;
    @Column(nullable = false)
    public long seq;
}
