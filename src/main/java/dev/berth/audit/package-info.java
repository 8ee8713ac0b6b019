/** Who did what, when, with what outcome. */
package dev.berth.audit;
