//! Guest bindings for the three plugin worlds; used by the export macros.
#![allow(missing_docs)]

use alloc::string::String;
use alloc::vec::Vec;

// No std on the guest: the allocator and the panic handler are ours. A panic
// becomes a trap, which the host reports as a diagnostic.
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

// memcmp, memcpy and friends come from the target's own libc archive: only
// those pure routines are linked, so no WASI import comes with them.
#[link(name = "c")]
unsafe extern "C" {}

/// The canonical ABI's allocator export, which wasi-libc would provide to a
/// std guest.
///
/// # Safety
/// Called only by the component runtime, with the canonical ABI's contract.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cabi_realloc(
    old_ptr: *mut u8,
    old_len: usize,
    align: usize,
    new_len: usize,
) -> *mut u8 {
    use alloc::alloc::{Layout, alloc, realloc};
    if new_len == 0 {
        return align as *mut u8;
    }
    // SAFETY: the runtime passes a power-of-two alignment, and for a
    // reallocation the pointer and size of an earlier allocation.
    let ptr = unsafe {
        if old_len == 0 {
            alloc(Layout::from_size_align_unchecked(new_len, align))
        } else {
            realloc(
                old_ptr,
                Layout::from_size_align_unchecked(old_len, align),
                new_len,
            )
        }
    };
    if ptr.is_null() {
        core::arch::wasm32::unreachable()
    }
    ptr
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// Bindings of the `mapping-plugin` world; owns the shared `types` module.
pub mod mapping {
    wit_bindgen::generate!({
        world: "mapping-plugin",
        path: "../wit",
        generate_unused_types: true,
        pub_export_macro: true,
        export_macro_name: "__export_mapping",
        default_bindings_module: "lattice_plugin_sdk::guest::mapping",
    });
}

/// Bindings of the `weighting-plugin` world.
pub mod weighting {
    wit_bindgen::generate!({
        world: "weighting-plugin",
        path: "../wit",
        with: { "lattice:plugin/types@0.1.0": super::mapping::lattice::plugin::types },
        pub_export_macro: true,
        export_macro_name: "__export_weighting",
        default_bindings_module: "lattice_plugin_sdk::guest::weighting",
    });
}

/// Bindings of the `auth-plugin` world.
pub mod auth {
    wit_bindgen::generate!({
        world: "auth-plugin",
        path: "../wit",
        with: { "lattice:plugin/types@0.1.0": super::mapping::lattice::plugin::types },
        pub_export_macro: true,
        export_macro_name: "__export_auth",
        default_bindings_module: "lattice_plugin_sdk::guest::auth",
    });
}

crate::__bridge_types!(self::mapping::lattice::plugin::types);
