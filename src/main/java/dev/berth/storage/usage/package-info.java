/**
 * What a tenant's storage holds and the hard limit on it (issue 14): the usage ledger kept from the instances' bucket
 * events (the authenticated internal endpoint MinIO's webhook delivers to, batching, recent-event deduplication), the
 * recorded usage per tenant, bucket and object version, a full listing only to reconcile, and the enforcer that
 * refuses writes when usage crosses the limit and accepts them again below it.
 */
package dev.berth.storage.usage;
