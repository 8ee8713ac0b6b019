/**
 * Storage usage kept from the instances' bucket events (issue 14): what makes applying them cheap. The ledger itself
 * ({@code storage.UsageLedger}) stays in the parent package for now.
 */
package dev.berth.storage.usage;
