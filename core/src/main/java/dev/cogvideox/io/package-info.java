/** Reading and writing what lives on disk: safetensors (memory-mapped), configs, model folders. */
package dev.cogvideox.io;
