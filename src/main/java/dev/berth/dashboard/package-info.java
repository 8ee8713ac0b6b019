/**
 * The overview a tenant opens with: machines by state, storage, usage against quota. It reads every feature and
 * lives apart from {@code web}, which the features stand on, so that no feature package depends on another through it.
 */
package dev.berth.dashboard;
