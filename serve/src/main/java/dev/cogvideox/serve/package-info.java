/**
 * The generation service ({@code cogvideox serve}): a JSON job API over HTTP (Javalin on Jetty), jobs kept in an
 * SQLite database under the data folder with their results beside it, one generation at a time per model, progress
 * as server-sent events, and the web page that drives it.
 */
package dev.cogvideox.serve;
