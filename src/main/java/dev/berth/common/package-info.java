/** The few pieces every feature shares: input errors, sizes, encryption of secrets at rest. */
package dev.berth.common;
