# SPDX-License-Identifier: Apache-2.0
# Packages: vigil-agent and vigil-server, each as .deb and .rpm, built by
#   cmake --build build --target packages       (builds the packaged binaries, runs cpack)
# or, after a full build, `cmake --build build --target package` / `cd build && cpack`,
# into build/ as vigil-agent_<version>_<arch>.deb, vigil-agent-<version>-1.<arch>.rpm, ...
# CMAKE_SKIP_INSTALL_ALL_DEPENDENCY: cpack and install do not rebuild every
# target (tests included) first, so packaging needs only the binaries it ships.
# The .rpm needs rpmbuild (Debian package "rpm"); without it only .deb files are made.
# vigil-server is packaged as soon as the target exists.
#
# Version: project(VERSION) in the top-level CMakeLists.txt, nowhere else.
# Runtime dependencies are computed from the binaries' shared libraries:
# dpkg-shlibdeps for the .deb, rpmbuild's automatic requirements for the .rpm.
#
# Installed layout (prefix /usr):
#   /usr/bin/vigil-agent, /usr/bin/vigil-server
#   /usr/lib/systemd/system/vigil-{agent,server}.service
#   /usr/lib/sysusers.d/vigil-{agent,server}.conf   system user "vigil"
#   /etc/default/vigil-agent                         config file (extra flags)
#   /etc/vigil/vigil-server.yml                      config file (scrape config)
#   /var/lib/vigil-server                            server data, owned by vigil
#   /usr/share/vigil/grafana/                        provisioning + dashboards (server)
#   /usr/share/doc/vigil-{agent,server}/             copyright, changelog, README
#   /usr/lib/systemd/system-preset/80-vigil-*.preset (used by the .rpm's %post)
# Maintainer scripts: packaging/deb/*.in and packaging/rpm/*.in, filled in per package.

set(VIGIL_PACKAGE_MAINTAINER "Vigil maintainers <vigil-maintainers@users.noreply.github.com>"
    CACHE STRING "Maintainer (Debian) / Packager (RPM) of the packages")
set(VIGIL_PACKAGE_HOMEPAGE "https://github.com/vigil-monitoring/vigil"
    CACHE STRING "Homepage recorded in the packages")

set(_pkg_src ${CMAKE_SOURCE_DIR}/packaging)
set(_pkg_out ${CMAKE_BINARY_DIR}/packaging)
set(_unitdir lib/systemd/system)          # relative to the /usr prefix

# components: agent always, server once its binary target exists
set(_vigil_components agent)
if(TARGET vigil-server)
  list(APPEND _vigil_components server)
endif()

# --- per-package texts -------------------------------------------------------
set(_agent_summary "Vigil agent: host and container metrics for Prometheus")
set(_agent_body "vigil-agent serves host metrics compatible with Prometheus node_exporter 1.5
on :9100/metrics and container metrics compatible with cAdvisor on
:8080/metrics, with a fraction of their CPU and memory.")
set(_server_summary "Vigil server: Prometheus-compatible monitoring server")
set(_server_body "vigil-server scrapes vigil-agent and other Prometheus exporters, stores the
samples in the Prometheus TSDB format and answers PromQL over the Prometheus
HTTP API, so Grafana can use it as a Prometheus data source.")

set(_agent_postinst_extra [=[
	# the container metrics need the Docker socket (root:docker 0660)
	if getent group docker >/dev/null && ! id -nG vigil | tr ' ' '\n' | grep -qx docker; then
		usermod -a -G docker vigil || true
	fi]=])
set(_server_postinst_extra [=[
	mkdir -p /var/lib/vigil-server
	chown vigil:vigil /var/lib/vigil-server
	chmod 0750 /var/lib/vigil-server]=])
set(_agent_purge_extra "	:")
set(_server_purge_extra "	rm -rf /var/lib/vigil-server")

# Debian changelog (a native package needs one) and DEP-5 copyright; the full
# licence text goes to /usr/share/licenses/<package>/LICENSE (rpm's %license
# place; Debian points at /usr/share/common-licenses/Apache-2.0 instead)
string(TIMESTAMP _pkg_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
find_program(VIGIL_GZIP gzip)
foreach(comp ${_vigil_components})
  set(VIGIL_PKG vigil-${comp})
  set(VIGIL_UNIT vigil-${comp}.service)
  set(VIGIL_POSTINST_EXTRA "${_${comp}_postinst_extra}")
  set(VIGIL_PURGE_EXTRA "${_${comp}_purge_extra}")
  set(_d ${_pkg_out}/${comp})
  foreach(script postinst prerm postrm)
    configure_file(${_pkg_src}/deb/${script}.in ${_d}/deb/${script} @ONLY)
  endforeach()
  foreach(script pre post preun postun)
    configure_file(${_pkg_src}/rpm/${script}.in ${_d}/rpm/${script} @ONLY)
  endforeach()
  if(comp STREQUAL "agent")
    file(WRITE ${_d}/deb/conffiles "/etc/default/vigil-agent\n")
  else()
    file(WRITE ${_d}/deb/conffiles "/etc/vigil/vigil-server.yml\n")
  endif()
  file(WRITE ${_d}/preset "enable ${VIGIL_UNIT}\n")
  file(WRITE ${_d}/changelog "${VIGIL_PKG} (${PROJECT_VERSION}) unstable; urgency=medium

  * Release ${PROJECT_VERSION}.

 -- ${VIGIL_PACKAGE_MAINTAINER}  ${_pkg_date}
")
  execute_process(COMMAND ${VIGIL_GZIP} -9nf ${_d}/changelog)
  file(WRITE ${_d}/copyright "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: vigil
Source: ${VIGIL_PACKAGE_HOMEPAGE}

Files: *
Copyright: 2026 The Vigil authors
License: Apache-2.0

License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the \"License\");
 you may not use this file except in compliance with the License.
 You may obtain a copy of the License at
 .
 http://www.apache.org/licenses/LICENSE-2.0
 .
 Unless required by applicable law or agreed to in writing, software
 distributed under the License is distributed on an \"AS IS\" BASIS,
 WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 See the License for the specific language governing permissions and
 limitations under the License.
 .
 On Debian systems, the complete text of the Apache License, Version 2.0
 can be found in \"/usr/share/common-licenses/Apache-2.0\".
")

  # the static agent carries glibc, PCRE2 and zlib: their licences, and the
  # lintian override for the embedded zlib (see README.md)
  if(comp STREQUAL "agent" AND VIGIL_AGENT_STATIC)
    file(READ ${_pkg_src}/deb/static-agent.copyright _static_copyright)
    file(APPEND ${_d}/copyright "${_static_copyright}")
    install(FILES ${_pkg_src}/deb/static-agent.lintian-overrides DESTINATION share/lintian/overrides
            RENAME vigil-agent COMPONENT agent)
  endif()

  # --- files of this package ---
  install(TARGETS vigil-${comp} RUNTIME DESTINATION bin COMPONENT ${comp})
  install(FILES ${CMAKE_SOURCE_DIR}/systemd/vigil-${comp}.service DESTINATION ${_unitdir}
          COMPONENT ${comp})
  install(FILES ${_pkg_src}/sysusers/vigil.conf DESTINATION lib/sysusers.d
          RENAME ${VIGIL_PKG}.conf COMPONENT ${comp})
  install(FILES ${_d}/copyright ${_d}/changelog.gz ${CMAKE_SOURCE_DIR}/README.md
          DESTINATION share/doc/${VIGIL_PKG} COMPONENT ${comp})
  install(FILES ${CMAKE_SOURCE_DIR}/LICENSE DESTINATION share/licenses/${VIGIL_PKG}
          COMPONENT ${comp})
endforeach()

install(FILES ${_pkg_src}/vigil-agent.default DESTINATION /etc/default RENAME vigil-agent
        COMPONENT agent)
if(TARGET vigil-server)
  install(FILES ${_pkg_src}/vigil-server.yml DESTINATION /etc/vigil COMPONENT server)
  install(DIRECTORY DESTINATION /var/lib/vigil-server COMPONENT server)
  install(DIRECTORY ${_pkg_src}/grafana/provisioning ${_pkg_src}/grafana/dashboards
          DESTINATION share/vigil/grafana COMPONENT server)
endif()

# --- CPack: common settings --------------------------------------------------
set(CPACK_PACKAGE_NAME vigil)
set(CPACK_PACKAGE_VENDOR "The Vigil authors")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${VIGIL_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_HOMEPAGE_URL "${VIGIL_PACKAGE_HOMEPAGE}")
# no CPACK_PACKAGE_DESCRIPTION_SUMMARY: CPackDeb would put that one synopsis on
# both packages; each package's description starts with its own synopsis line
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_COMPONENTS_ALL ${_vigil_components})
set(CPACK_COMPONENTS_GROUPING IGNORE)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR})

set(CPACK_GENERATOR DEB)
find_program(VIGIL_RPMBUILD rpmbuild)
if(VIGIL_RPMBUILD)
  list(APPEND CPACK_GENERATOR RPM)
else()
  message(STATUS "rpmbuild not found (Debian package 'rpm'): 'package' makes .deb only")
endif()

# --- .deb ----------------------------------------------------------------------
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# useradd/usermod for the system user where systemd-sysusers is missing;
# the server's ExecReload runs /bin/kill (procps)
set(CPACK_DEBIAN_AGENT_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "passwd, procps")

# --- .rpm ----------------------------------------------------------------------
set(CPACK_RPM_COMPONENT_INSTALL ON)
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_LICENSE "Apache-2.0")
set(CPACK_RPM_PACKAGE_GROUP "System Environment/Daemons")
set(CPACK_RPM_PACKAGE_URL "${VIGIL_PACKAGE_HOMEPAGE}")
set(CPACK_RPM_PACKAGE_RELEASE 1)
set(CPACK_RPM_PACKAGE_AUTOREQ ON)
set(CPACK_RPM_PACKAGE_AUTOPROV OFF)
# the %pre script creates the user with useradd (file dependencies work on every rpm distribution)
set(CPACK_RPM_PACKAGE_REQUIRES_PRE "/usr/sbin/useradd, /usr/bin/getent")
# no /usr/lib/.build-id links: nothing else of ours could use them
set(CPACK_RPM_SPEC_MORE_DEFINE "%define _build_id_links none")
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
    /etc/default /usr/lib/systemd /usr/lib/systemd/system /usr/lib/systemd/system-preset
    /usr/lib/sysusers.d /usr/share/doc /usr/share/licenses /var /var/lib)

foreach(comp ${_vigil_components})
  string(TOUPPER ${comp} C)
  set(_d ${_pkg_out}/${comp})
  set(CPACK_COMPONENT_${C}_DESCRIPTION "${_${comp}_summary}\n${_${comp}_body}")
  set(CPACK_DEBIAN_${C}_PACKAGE_NAME vigil-${comp})
  set(CPACK_DEBIAN_${C}_DESCRIPTION "${_${comp}_summary}\n${_${comp}_body}")
  set(CPACK_DEBIAN_${C}_PACKAGE_CONTROL_EXTRA
      "${_d}/deb/postinst;${_d}/deb/prerm;${_d}/deb/postrm;${_d}/deb/conffiles")
  set(CPACK_RPM_${C}_PACKAGE_NAME vigil-${comp})
  set(CPACK_RPM_${C}_PACKAGE_SUMMARY "${_${comp}_summary}")
  set(CPACK_RPM_${C}_PACKAGE_DESCRIPTION "${_${comp}_body}")
  set(CPACK_RPM_${C}_PRE_INSTALL_SCRIPT_FILE ${_d}/rpm/pre)
  set(CPACK_RPM_${C}_POST_INSTALL_SCRIPT_FILE ${_d}/rpm/post)
  set(CPACK_RPM_${C}_PRE_UNINSTALL_SCRIPT_FILE ${_d}/rpm/preun)
  set(CPACK_RPM_${C}_POST_UNINSTALL_SCRIPT_FILE ${_d}/rpm/postun)
  # the preset that lets the .rpm's %post enable the unit; Debian's postinst
  # enables it directly and ignores presets, so the file is inert there
  install(FILES ${_d}/preset DESTINATION lib/systemd/system-preset
          RENAME 80-vigil-${comp}.preset COMPONENT ${comp})
endforeach()
set(CPACK_RPM_AGENT_USER_FILELIST
    "%config(noreplace) /etc/default/vigil-agent"
    "%license /usr/share/licenses/vigil-agent/LICENSE")
set(CPACK_RPM_SERVER_USER_FILELIST
    "%config(noreplace) /etc/vigil/vigil-server.yml"
    "%dir %attr(0750,vigil,vigil) /var/lib/vigil-server"
    "%license /usr/share/licenses/vigil-server/LICENSE")

set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)
include(CPack)

set(_packaged_targets)
foreach(comp ${_vigil_components})
  list(APPEND _packaged_targets vigil-${comp})
endforeach()
add_custom_target(packages
  COMMAND ${CMAKE_CPACK_COMMAND} --config ${CMAKE_BINARY_DIR}/CPackConfig.cmake
  WORKING_DIRECTORY ${CMAKE_BINARY_DIR}
  COMMENT "Packaging ${_packaged_targets} (.deb/.rpm)"
  USES_TERMINAL)
add_dependencies(packages ${_packaged_targets})
