/** The {@code cogvideox} command line: one picocli subcommand per file. */
package dev.cogvideox.cli;
