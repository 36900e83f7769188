// SPDX-License-Identifier: Apache-2.0
// Owner of the precompiled GoogleTest/GoogleMock header that the test executables reuse
// (FOTA_TEST_PCH in cmake/FotaHost.cmake); it compiles to an empty object.
